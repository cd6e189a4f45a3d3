"""The sample city: a deterministic generator of messy departmental feeds with ground truth."""
