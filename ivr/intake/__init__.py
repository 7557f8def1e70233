"""The online intake: callback requests made by a triage form through the API (issue 11)."""
