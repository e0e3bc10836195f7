"""Optimizers shared by both labs: update rules, learning-rate schedules, gradient transforms."""
