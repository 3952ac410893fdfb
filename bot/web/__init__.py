"""The product's web service: documents today; agent console and integration API later."""
