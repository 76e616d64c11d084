"""Extension objects, created unbound and bound to an app in the factory."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from api.problems import ProblemApi
from app.models.base import Base
from app.tokens import JWTManager

db = SQLAlchemy(model_class=Base)
jwt = JWTManager()
migrate = Migrate()
api = ProblemApi()
