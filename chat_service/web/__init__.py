"""The browser pages: the customer widget (/widget/) and the agent console (/console/)."""
