"""The review UI: a Streamlit app over the REST API (app.py; one module per page under pages/)."""
