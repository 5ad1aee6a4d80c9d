"""Consent policy: which sensitive categories need the customer's separate consent."""
