"""Small MLPs: layers, initialisers, losses, the network, training, telemetry, early stopping."""
