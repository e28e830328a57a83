"""Cases pages: the reporter's phone page and "my reports", the staff console, the leaderboard."""
