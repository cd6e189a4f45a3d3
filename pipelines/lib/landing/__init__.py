"""The landing zone: which files are deliveries, of which feed and day, and what is missing or pending."""
