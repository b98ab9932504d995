"""Case clocks: the working calendar, legal time limits, pauses and extensions, timers and alerts."""
