"""HTTP interface: FastAPI app served through Mangum on Lambda."""
