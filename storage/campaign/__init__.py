"""The campaign's offline side: registers, the activity log, campaigns and coverage.

One module per table or indicator group, so the console page, the DOCX and the XLSX of a
report read the same numbers from the same queries. Every operation takes a `CampaignScope`
(scope.py) and enforces it here, not in the pages.
"""
