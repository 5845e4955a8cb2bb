"""Connect to Temporal Cloud with an API key, and list what waits for a person there.

attune connects through `temporalio.envconfig`, as the `temporal` CLI does, so a
Temporal Cloud namespace is a profile in the config file (`temporal.toml`, or the
file `TEMPORAL_CONFIG_FILE` names):

    [profile.cloud]
    address = "my-namespace.a1b2c.tmprl.cloud:7233"
    namespace = "my-namespace.a1b2c"
    api_key = "..."  # or leave it out and set TEMPORAL_API_KEY

and `TEMPORAL_PROFILE=cloud attune ...` or `Attune.connect(profile="cloud")` uses it
(an API key turns TLS on). This script takes the same three settings from
TEMPORAL_CLOUD_ADDRESS, TEMPORAL_CLOUD_NAMESPACE and TEMPORAL_CLOUD_API_KEY, and does
nothing (exit 0, "skipped") without them, so CI runs it only where they are set.
Workers for that namespace run `attune worker` with the same settings.
"""

from __future__ import annotations

import os
import sys

SETTINGS = {
    "TEMPORAL_CLOUD_ADDRESS": "TEMPORAL_ADDRESS",
    "TEMPORAL_CLOUD_NAMESPACE": "TEMPORAL_NAMESPACE",
    "TEMPORAL_CLOUD_API_KEY": "TEMPORAL_API_KEY",
}


def main() -> int:
    missing = [name for name in SETTINGS if not os.environ.get(name)]
    if missing:
        print(f"skipped: set {', '.join(missing)} to connect to Temporal Cloud")
        return 0
    for cloud, envconfig in SETTINGS.items():
        os.environ[envconfig] = os.environ[cloud]

    from attune import connect_sync, leave

    with connect_sync(start_embedded=False, local_worker=False) as attune:
        waiting = attune.waiting()
        print(f"connected to {os.environ['TEMPORAL_NAMESPACE']}")
        for wait in waiting.approvals:
            print(f"approval: {wait.workflow_id} ({wait.type})")
        for question in waiting.questions:
            print(f"question: {question.workflow_id}: {question.question}")
    leave(0)


if __name__ == "__main__":
    sys.exit(main())
