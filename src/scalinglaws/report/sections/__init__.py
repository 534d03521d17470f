"""The sections of the HTML report, grouped by what they show: the fit (``fit``), how far to trust it
(``trust``) and what it says to do (``plan``). Each renders results already computed into an HTML
string; :func:`scalinglaws.report.render_report` puts them on one page."""
