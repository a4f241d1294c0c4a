"""The bench's sections: each module's `run` measures one aspect and adds its figures to the report."""
