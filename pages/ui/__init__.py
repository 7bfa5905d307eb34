"""Helpers of the pages. A subfolder, so Streamlit never lists or runs them as pages."""
