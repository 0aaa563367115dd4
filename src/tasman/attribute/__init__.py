"""Attribution: each subject's ranked candidate countries, with confidence and reasons.

Signals (``signals/``, one module each) turn facts gathered from records and observations into
votes; ``scoring`` ranks them with the documented weights (``weights.yaml``)."""

from tasman.attribute.service import RunSummary, attribute_case, make_env, show
from tasman.attribute.weights import Weights, default_weights, load_weights

__all__ = ["RunSummary", "Weights", "attribute_case", "default_weights", "load_weights", "make_env", "show"]
