"""Nova's live-migration settings and their limits: one place for every model.

Names and defaults are nova's (nova/conf/libvirt.py ``[libvirt]`` and
``[DEFAULT] max_concurrent_live_migrations``, nova 34), so an operator can
copy values from nova.conf. The simulator's parameters, the migration model's
command line and the planner's timing estimates take their defaults here.
"""

from __future__ import annotations

# [libvirt] live_migration_downtime (ms), its steps and the delay per GiB.
LIVE_MIGRATION_DOWNTIME_MS = 500
LIVE_MIGRATION_DOWNTIME_STEPS = 10
LIVE_MIGRATION_DOWNTIME_DELAY_S = 75
# Nova's minimums for the three (smaller values are raised to these).
MIN_DOWNTIME_MS = 100
MIN_DOWNTIME_STEPS = 3
MIN_DOWNTIME_DELAY_S = 3
# [libvirt] live_migration_completion_timeout, seconds per GiB (0: none).
LIVE_MIGRATION_COMPLETION_TIMEOUT_S_PER_GIB = 800
# [libvirt] live_migration_timeout_action: what happens at the timeout.
TIMEOUT_ACTIONS = ("abort", "force_complete")
# [DEFAULT] max_concurrent_live_migrations: outgoing, per source host.
MAX_CONCURRENT_LIVE_MIGRATIONS = 1
