"""The dialect-agnostic logical plan of a request, and the planner that validates definitions
and a request into it (given a description of the sources' columns; it does no I/O)."""
