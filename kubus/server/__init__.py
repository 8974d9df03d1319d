"""Flask app factory, Slicer API and JSON API views, web page, CLI, job runner.

The only layer that wires stores, services and jobs together. May import: everything.
"""
