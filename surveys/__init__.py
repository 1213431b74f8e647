"""Questionnaires as data and the pure conversation engine that runs them."""
