"""Makes the S3 test user on a moto server started with INITIAL_NO_AUTH_ACTION_COUNT=3 (these
three calls are the unauthenticated ones; every later request must be signed with the key
printed here). Prints "ACCESS_KEY_ID SECRET_ACCESS_KEY"."""
import json
import sys

import boto3

endpoint = sys.argv[1]
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="getyour-test")
iam.put_user_policy(
    UserName="getyour-test",
    PolicyName="documents",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
)
key = iam.create_access_key(UserName="getyour-test")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
