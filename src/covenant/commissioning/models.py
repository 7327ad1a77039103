"""Social-value commissioning: tenders, bids, evaluation, award, KPIs and OCDS."""
