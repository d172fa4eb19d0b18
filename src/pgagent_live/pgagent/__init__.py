"""Knowledge of pgAgent's schema: status letters and the named SQL that reads it."""
