"""Retention: delete or anonymise personal information once its purpose is served
(privacy policy 4, 5.3, 2.4; rules in config/retention.toml, reasons in docs/retention.md).

- `chat_service/privacy_settings.py`: the rules (config models and their validation), read by
  `Settings.load` before anything starts;
- `rules.py`: what a rule does to a document (the query it walks, connection data truncated
  or masked through the renderer);
- `runner.py`: the run (lease, rules in order, dry runs) and the server's schedule;
- `run_state.py`: what a run's steps share (errors, batches recorded with the lease renewed,
  attachments dropped, and `pages`, the one keyset-paging loop every step walks);
- `message_rules.py`, `conversation_rules.py`, `unsent_uploads.py`: the steps, each walking
  its documents in `pages` with held data excluded and counted apart;
- `reports.py`: the run's summary and record, and anonymised conversations.
"""

from chat_service.privacy.retention.reports import RetentionSummary
from chat_service.privacy.retention.rules import mask_connection_data, truncate_connection_value
from chat_service.privacy.retention.runner import (
    default_holder,
    retention_loop,
    run_retention,
    sweep_stale_uploads,
)
from chat_service.privacy_settings import RetentionConfig, load_retention_config

__all__ = [
    "RetentionConfig",
    "RetentionSummary",
    "default_holder",
    "load_retention_config",
    "mask_connection_data",
    "retention_loop",
    "run_retention",
    "sweep_stale_uploads",
    "truncate_connection_value",
]
