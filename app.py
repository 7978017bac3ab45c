"""Huixiang (回响): campaign feedback for field marketing. Routes and event wiring only.

Each view names its handler ("module.function" under chalicelib/handlers/routes); the HTTP
adapter imports it on first use so that `import app` stays cheap for every Lambda function.
"""
import os

from chalice import Chalice, Cron

from chalicelib.handlers import http as api

# Powertools owns the "huixiang" logger (JSON lines); Chalice must not add a second handler to it.
app = Chalice(app_name="huixiang", configure_logs=False)
app.register_middleware(api.http_middleware, "http")

_STREAM = "arn:aws:dynamodb:{region}:000000000000:table/huixiang-{stage}-{table}/stream/local"


def _stream_arn(variable: str, table: str) -> str:
    """The stream ARN from stage config; the local stack resolves the real one by table name."""
    return os.environ.get(variable) or _STREAM.format(region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                                                      stage=os.environ.get("HUIXIANG_STAGE", "dev"), table=table)


# -- health and reference data ------------------------------------------------------------
@app.route("/health", methods=["GET"])
def health():
    return api.dispatch(app, "health.get")


@app.route("/categories", methods=["GET"])
def list_categories():
    return api.dispatch(app, "campaigns.categories")


# -- campaigns (applications) --------------------------------------------------------------
@app.route("/campaigns", methods=["POST"])
def create_campaign():
    return api.dispatch(app, "campaigns.create")


@app.route("/campaigns", methods=["GET"])
def list_campaigns():
    return api.dispatch(app, "campaigns.list_")


@app.route("/campaigns/{campaign_id}", methods=["GET"])
def get_campaign(campaign_id):
    return api.dispatch(app, "campaigns.get", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}", methods=["PATCH"])
def edit_campaign(campaign_id):
    return api.dispatch(app, "campaigns.patch", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/submit", methods=["POST"])
def submit_campaign(campaign_id):
    return api.dispatch(app, "campaigns.submit", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/approve", methods=["POST"])
def approve_campaign(campaign_id):
    return api.dispatch(app, "campaigns.approve", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/reject", methods=["POST"])
def reject_campaign(campaign_id):
    return api.dispatch(app, "campaigns.reject", campaign_id=campaign_id)


# -- feedback rules (A) ------------------------------------------------------------------------
@app.route("/feedback-rules", methods=["POST"])
def create_feedback_rule():
    return api.dispatch(app, "rules.create")


@app.route("/feedback-rules", methods=["GET"])
def list_feedback_rules():
    return api.dispatch(app, "rules.list_")


@app.route("/feedback-rules/{rule_id}", methods=["DELETE"])
def delete_feedback_rule(rule_id):
    return api.dispatch(app, "rules.delete", rule_id=rule_id)


# -- feedback reports (B, C) -------------------------------------------------------------------
@app.route("/me/feedback-requests", methods=["GET"])
def my_feedback_requests():
    return api.dispatch(app, "feedback.my_requests")


@app.route("/campaigns/{campaign_id}/feedback", methods=["PUT"])
def save_feedback_draft(campaign_id):
    return api.dispatch(app, "feedback.put_draft", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/feedback", methods=["GET"])
def get_feedback(campaign_id):
    return api.dispatch(app, "feedback.get", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/feedback/submit", methods=["POST"])
def submit_feedback(campaign_id):
    return api.dispatch(app, "feedback.submit", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/feedback/revisions", methods=["GET"])
def list_feedback_revisions(campaign_id):
    return api.dispatch(app, "feedback.revisions", campaign_id=campaign_id)


# -- settlement --------------------------------------------------------------------------------
@app.route("/campaigns/{campaign_id}/reimbursement", methods=["POST"])
def settle_campaign(campaign_id):
    return api.dispatch(app, "settlement.create", campaign_id=campaign_id)


# -- worklists and search (D, E) ---------------------------------------------------------------
@app.route("/feedback", methods=["GET"])
def search_feedback():
    return api.dispatch(app, "feedback.search")


@app.route("/feedback-requests", methods=["GET"])
def search_feedback_requests():
    return api.dispatch(app, "feedback.search_requests")


# -- stream triggers ---------------------------------------------------------------------------
@app.on_dynamodb_record(stream_arn=_stream_arn("FEEDBACK_STREAM_ARN", "feedback"), batch_size=100,
                        starting_position="TRIM_HORIZON")
def on_feedback_change(event):
    """A submitted feedback revision unlocks the campaign's settlement."""
    from chalicelib.handlers.streams import on_feedback_change as handle
    return handle(event.to_dict(), event.context)


@app.on_dynamodb_record(stream_arn=_stream_arn("RULES_STREAM_ARN", "rules"), batch_size=10,
                        starting_position="TRIM_HORIZON")
def on_rule_change(event):
    """A feedback rule created or deleted re-evaluates the campaigns it covers."""
    from chalicelib.handlers.streams import on_rule_change as handle
    return handle(event.to_dict(), event.context)


# -- evidence (attachments) --------------------------------------------------------------------
@app.route("/campaigns/{campaign_id}/attachments", methods=["POST"])
def create_attachment(campaign_id):
    return api.dispatch(app, "attachments.create", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/attachments", methods=["GET"])
def list_attachments(campaign_id):
    return api.dispatch(app, "attachments.list_", campaign_id=campaign_id)


@app.route("/campaigns/{campaign_id}/attachments/{attachment_id}", methods=["DELETE"])
def delete_attachment(campaign_id, attachment_id):
    return api.dispatch(app, "attachments.delete", campaign_id=campaign_id, attachment_id=attachment_id)


# A plain Lambda function, not @app.on_s3_event: Chalice cannot package an S3 trigger for
# CloudFormation, so infra/template.yaml adds its S3 event (ObjectCreated under uploads/) and
# devstack/uploads.py registers the same trigger locally. It receives the raw S3 event, as Lambda sends it.
@app.lambda_function(name="on_upload")
def on_upload(event, context):
    """An uploaded object is checked: what it really is, photo metadata, integrity flags."""
    from chalicelib.handlers.uploads import on_upload as handle
    return handle(event, context)


# -- the contract ------------------------------------------------------------------------------
@app.route("/openapi.json", methods=["GET"])
def openapi_document():
    return api.dispatch(app, "openapi.get")


# -- evaluation: roll-ups -----------------------------------------------------------------------
@app.on_dynamodb_record(stream_arn=_stream_arn("CAMPAIGNS_STREAM_ARN", "campaigns"), batch_size=100,
                        starting_position="TRIM_HORIZON")
def on_campaign_change(event):
    """Every campaign change moves the monthly roll-ups by its delta, exactly once."""
    from chalicelib.handlers.streams import on_campaign_change as handle
    return handle(event.to_dict(), event.context)


# -- evaluation and reports -------------------------------------------------------------------
@app.route("/campaigns/{campaign_id}/evaluation", methods=["GET"])
def evaluate_campaign(campaign_id):
    return api.dispatch(app, "evaluation.campaign", campaign_id=campaign_id)


@app.route("/customers/{customer_id}/history", methods=["GET"])
def customer_history(customer_id):
    return api.dispatch(app, "evaluation.customer_history", customer_id=customer_id)


@app.route("/reports/summary", methods=["GET"])
def report_summary():
    return api.dispatch(app, "evaluation.summary")


@app.route("/reports/runs", methods=["POST"])
def run_reports():
    return api.dispatch(app, "reports.run")


@app.route("/reports", methods=["GET"])
def list_reports():
    return api.dispatch(app, "reports.list_")


@app.route("/reports/{report_id}", methods=["GET"])
def get_report(report_id):
    return api.dispatch(app, "reports.get", report_id=report_id)


@app.route("/me/report-subscription", methods=["PUT"])
def put_report_subscription():
    return api.dispatch(app, "reports.subscribe")


@app.on_dynamodb_record(stream_arn=_stream_arn("REPORTS_STREAM_ARN", "reports"), batch_size=1,
                        starting_position="TRIM_HORIZON")
def on_report_requested(event):
    """A pending report inserted (on demand or by the schedule) is compiled, stored and emailed."""
    from chalicelib.handlers.streams import on_report_change as handle
    return handle(event.to_dict(), event.context)


# 07:00 Asia/Shanghai is 23:00 UTC the day before (EventBridge cron runs in UTC).
@app.schedule(Cron(0, 23, "*", "*", "?", "*"), name="compile_scheduled_reports")
def compile_scheduled_reports(event):
    """Month to date every morning; the final report of last month on the 1st."""
    from chalicelib.handlers.schedules import compile_scheduled_reports as handle
    return handle(event.to_dict(), event.context)


# 09:00 Asia/Shanghai is 01:00 UTC the same day.
@app.schedule(Cron(0, 1, "*", "*", "?", "*"), name="send_overdue_reminders")
def send_overdue_reminders(event):
    """One reminder per rep with overdue feedback, at most once a day."""
    from chalicelib.handlers.schedules import send_overdue_reminders as handle
    return handle(event.to_dict(), event.context)
