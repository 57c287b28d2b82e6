"""Local infrastructure for sambert-lambda: LocalStack in host mode, resource setup, image-size report.

Names and rules live in ``infra/resources.json``; ``template.yaml`` must agree with it (a test checks).
Nothing here is shipped in the Lambda image.
"""
