"""Work-order text understanding: failure-mode classification and technician-text normalisation.

The classifiers live in :mod:`moesaic.text.failure_modes` (n-gram TF-IDF + linear model) and
:mod:`moesaic.text.neural` (small trained text model); they are not imported here so that the
question answerer, which only needs the text clean-up, does not load scikit-learn or torch.
"""

from moesaic.text.features import ObservationCleaner, stem_words
from moesaic.text.normalise import NormaliserConfig, TechTextNormaliser, score_normalisation

__all__ = [
    "NormaliserConfig",
    "ObservationCleaner",
    "TechTextNormaliser",
    "score_normalisation",
    "stem_words",
]
