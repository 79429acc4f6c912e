"""The endpoints Braintrust's SDK calls outside /v1: login, version, /logs3 and its overflow uploads, base experiments."""
