"""Analytical CRM on the loaded warehouse (domain.md §5): RFM, CLTV, churn, campaign maths.

Pure cores (``rfm``, ``clv``, ``churn``, ``campaign``, ``kpi``) work on numpy/pandas data and
know nothing of databases; :mod:`kubus.etl.crm.job` reads the warehouse with aggregate SQL, runs
them and rewrites ``fact_customer`` and ``dim_customer.segment`` in one transaction.
"""
