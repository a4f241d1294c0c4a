"""Training, export and evaluation of the classifier (the serving virtualenv, TensorFlow)."""
