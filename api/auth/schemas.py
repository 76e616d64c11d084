"""Auth request and response bodies."""

from marshmallow import Schema, fields, validate

from api.agencies.schemas import DirectoryAgencyOut


class RegisterIn(Schema):
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    email = fields.String(load_default=None, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(max=256))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    language = fields.String(load_default=None, validate=validate.OneOf(["vi", "en"]))


class VerifyIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata={"description": "The phone number (or email) the code went to"})
    code = fields.String(required=True, validate=validate.Length(min=1, max=12))


class ResetIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254))


class ResetConfirmIn(VerifyIn):
    password = fields.String(required=True, validate=validate.Length(max=256))


class PasswordCheckIn(Schema):
    password = fields.String(required=True, validate=validate.Length(max=256))
    full_name = fields.String(load_default=None, validate=validate.Length(max=200))
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    email = fields.String(load_default=None, validate=validate.Length(max=254))


class PasswordCheckOut(Schema):
    ok = fields.Boolean()
    problems = fields.List(fields.String())


class CodeSentOut(Schema):
    status = fields.String(metadata={"example": "code_sent"})
    to = fields.String(metadata={"description": "Where the code went, partly masked"})
    expires_in = fields.Integer()
    outbox = fields.Boolean(metadata={
        "description": "Development: messages are kept in the outbox (GET /auth/dev-outbox)"})


class OutboxQuery(Schema):
    to = fields.String(required=True, validate=validate.Length(min=1, max=254))


class OutboxOut(Schema):
    messages = fields.List(fields.Dict())


class LoginIn(Schema):
    login = fields.String(load_default=None, metadata={"description": "Phone or email"})
    phone = fields.String(load_default=None)
    email = fields.String(load_default=None)
    password = fields.String(required=True, validate=validate.Length(max=256))
    device_token = fields.String(load_default=None, validate=validate.Length(max=100), metadata={
        "description": "The device_token of this device's last sign-in to this account"})


class RefreshIn(Schema):
    refresh_token = fields.String(required=True)


class LogoutIn(Schema):
    refresh_token = fields.String(load_default=None)


class UserOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    full_name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    language = fields.String()
    agency_code = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    agency = fields.Nested(DirectoryAgencyOut, allow_none=True)


class MeIn(Schema):
    language = fields.String(validate=validate.OneOf(["vi", "en"]))
    full_name = fields.String(validate=validate.Length(min=1, max=200))


class TokensOut(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOut)
    device_token = fields.String(metadata={
        "description": "Sign-in only: send it with this device's next sign-ins to this account"})
