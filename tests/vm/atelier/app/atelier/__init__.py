"""The stand-in applications of atelier's VM proof (tests/vm/atelier.sh): an API, a console
and a worker, of two images, all reaching the stack's PostgreSQL as compose says."""
