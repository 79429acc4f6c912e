"""Log lines as text (the default) or as one JSON object per line (``LOG_FORMAT=json``), for log collectors.

Both carry the id of the request being served (``request_id``; ``-`` outside a request). Nothing here adds
request bodies, headers or query strings, so no token or password can reach the logs this way.
"""

import json
import logging
from datetime import UTC, datetime

from braintrust_site.request_id import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            line["status"] = status
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
