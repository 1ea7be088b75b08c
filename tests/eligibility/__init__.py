"""Tests of the basic-service list matching engine (assessment.eligibility)."""
