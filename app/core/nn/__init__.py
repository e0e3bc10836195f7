"""Small MLPs: layers, initialisers, losses, the network, training, telemetry, early stopping.

Modules: ``config`` (the training configuration: every option's default and bounds, built on
``options``), ``run`` (:class:`~app.core.nn.run.TrainingRun`, one run driven step by step),
``training`` (the job loop ``train``), ``evaluation`` (loss/accuracy, confusion matrix, decision
boundary), ``telemetry``, ``early_stopping``, ``network``, ``layers``, ``initializers``,
``losses``, ``labels`` (display names of the ids) and ``activation_experiment``.
"""
