"""What safety announces to the apps above it, which safety may not import.

`video_rejected(video_id)`: a moderator's verdict rejected the video, in the
decision's transaction. Publishing cancels the video's publishes on it
(publishing/apps.py connects publishing.lapses.cancel_rejected_publishes).
"""

from django.dispatch import Signal

video_rejected = Signal()
