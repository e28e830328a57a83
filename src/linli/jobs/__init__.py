"""The 15-minute employment circle (issue 18): job seekers surveyed by the employment stations, employers and their
jobs, matching that explains itself (skills, hours, constraints and travel time over the street's roads), the
pipeline from suggestion to the 3-month follow-up, and the stations' dashboard."""
