"""latentbench's analysis: figures, an HTML page and a Markdown summary from
results files (docs/ANALYSIS.md). analysis/report.py is the command."""
