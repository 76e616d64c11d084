"""Every problem+json answer in the reader's language (Accept-Language: vi by default, or en).

The domain raises English texts; here, at the edge, the catalogue in
app/services/problem_texts.py turns the title, the detail and the field messages into
Vietnamese when the client asks for it. One place, whoever raised the problem.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

from app.services.i18n import pick_language
from app.services.problem_texts import localise_problem

PROBLEM_MIMETYPE = "application/problem+json"


def init_app(app: Flask) -> None:
    @app.after_request
    def _localise(response: Response) -> Response:
        if response.mimetype != PROBLEM_MIMETYPE or response.direct_passthrough:
            return response
        response.vary.add("Accept-Language")
        lang = pick_language(request.headers.get("Accept-Language"))
        if lang != "vi":
            return response
        try:
            body = json.loads(response.get_data())
        except ValueError:
            return response
        if isinstance(body, dict):
            response.set_data(json.dumps(localise_problem(body, lang), ensure_ascii=False))
        return response
