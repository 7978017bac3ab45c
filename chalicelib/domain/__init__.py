"""The business of Huixiang in plain Python: no boto3, no pynamodb, no HTTP."""
