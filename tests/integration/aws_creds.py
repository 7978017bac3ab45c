"""The fake credentials every client of the tests' own moto servers uses."""

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
