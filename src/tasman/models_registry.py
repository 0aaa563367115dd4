"""Imports every stage's models so that ``Base.metadata`` knows all tables (for Alembic and tests).

A new stage adds one import line here.
"""

import tasman.accounts.models
import tasman.attribute.models
import tasman.core.models
import tasman.evidence.models
import tasman.extract.models
import tasman.link.models
import tasman.money.models
import tasman.records.models
import tasman.refer.models
import tasman.serve.models
import tasman.tips.models
import tasman.triage.hashsets.models
import tasman.triage.models
