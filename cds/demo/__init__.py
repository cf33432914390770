"""Demo patient-view requests with full prefetch, dated relative to the evaluation date."""
