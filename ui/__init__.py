"""Streamlit glue shared by the pages: cached data access and the notices every screen carries."""
