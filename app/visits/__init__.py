"""探访关爱 in the desktop client: the plan per village, the visit form, referrals."""
