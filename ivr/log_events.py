"""The names of the controller's log events that tests and operators wait on, in one place.

The end-to-end tests read the controller's JSON log lines by these names (tests/e2e/helpers.py), and
tests/unit/ivr/test_ivr_log_events.py checks with structlog's capture_logs that the code emits them, so a
renamed event breaks a fast test rather than an end-to-end one.
"""

from __future__ import annotations

# ---- connection, reconcile, lease --------------------------------------------------------------------
ARI_CONNECTED = "ari_connected"
ARI_DISCONNECTED = "ari_disconnected"
ARI_APP_REPLACED = "ari_application_replaced"
RECONCILED = "reconciled"
RECONCILE_FAILED = "reconcile_failed"
CONTROLLER_STARTING = "controller_starting"
CONTROLLER_ACTIVE = "controller_active"
CONTROLLER_STANDBY = "controller_standby"
CONTROLLER_STOPPED = "controller_stopped"
LEASE_LOST = "lease_lost"
LEASE_UNVERIFIED = "lease_unverified"
CONVERSATION_ADOPTED = "conversation_adopted"
ORPHAN_BACK_IN_QUEUE = "orphan_caller_back_in_queue"
ORPHAN_TO_FALLBACK = "orphan_call_sent_to_fallback"
STALE_QUEUE_CLOSED = "queue_stale_entries_closed"
DATABASE_READY = "database_ready"
DATABASE_UNAVAILABLE = "database_unavailable"

# ---- a call ------------------------------------------------------------------------------------------
CALL_START = "call_start"
CALL_END = "call_end"
CALL_FAILED = "call_failed"
CALL_TO_FALLBACK = "call_sent_to_fallback"
PLAYBACK_OVERDUE = "playback_overdue"
OUTSIDE_HOURS = "outside_opening_hours"
MENU_KEY = "menu_key"
MENU_MISS = "menu_miss"

# ---- ringing and bridging ----------------------------------------------------------------------------
RINGING = "ringing"
RING_REFUSED = "ring_target_failed"
ALL_REFUSED = "ring_all_refused"
ANSWERED = "answered"
BRIDGED = "bridged"

# ---- spoed -------------------------------------------------------------------------------------------
SPOED_STARTED = "spoed_started"
SPOED_OVERFLOW = "spoed_overflow"
SPOED_NOBODY = "spoed_nobody_answered"
SPOED_TO_FALLBACK = "spoed_sent_to_fallback"
HUISARTSENPOST = "spoed_to_huisartsenpost"

# ---- callback offer ----------------------------------------------------------------------------------
CALLBACK_OFFERED = "callback_offered"
CALLBACK_OFFER_MISS = "callback_offer_miss"
CALLBACK_CONFIRMED = "callback_confirmed"
CALLBACK_SLOT_TAKEN = "callback_slot_taken"
CALLBACK_TURNED_AWAY = "callback_turned_away"
CALLBACK_SPOED = "callback_spoed"
CALLBACK_UNAVAILABLE = "callback_store_unavailable"
CALLBACK_ABANDONED = "callback_abandoned"
VOICE_NOTE_RECORDING = "voice_note_recording"
VOICE_NOTE_STORED = "voice_note_stored"
TYPED_NUMBER_WAITING = "typed_number_waiting"
TYPED_NUMBER_INVALID = "typed_number_invalid"
TYPED_NUMBER_READ_BACK = "typed_number_read_back"
TYPED_NUMBER_CONFIRMED = "typed_number_confirmed"

# ---- queue and dispatcher ----------------------------------------------------------------------------
QUEUE_JOINED = "queue_joined"
QUEUE_ANNOUNCED = "queue_announced"
QUEUE_PLACE_KEPT = "queue_place_kept"
QUEUE_RESUMED = "queue_resumed"
QUEUE_LEFT = "queue_left"
QUEUE_UNAVAILABLE = "queue_unavailable"
DISPATCH_LIVE = "dispatch_live"
DISPATCH_CALLBACK = "dispatch_callback"
DUE_CALLBACKS_STALE = "due_callbacks_stale"

# ---- callbacks made --------------------------------------------------------------------------------
DIALOUT_START = "callback_dialout_start"
DIALOUT_DONE = "callback_dialout_done"
DIALOUT_FAILED = "callback_dialout_failed"
PATIENT_ANSWERED = "callback_patient_answered"
ATTEMPT_NOT_STORED = "callback_attempt_not_stored"
ATTEMPTS_SWEPT = "callback_attempts_swept"
RETENTION_PURGE = "retention_purge"

# ---- the screen --------------------------------------------------------------------------------------
WEB_LISTENING = "web_listening"
WEB_NOT_STARTED = "web_not_started"

# ---- messages to patients and the intake API ----------------------------------------------------------
MESSAGE_SENT = "message_sent"
MESSAGE_RETRY = "message_retry"
MESSAGE_FAILED = "message_failed"
INTAKE_BOOKED = "intake_booked"
