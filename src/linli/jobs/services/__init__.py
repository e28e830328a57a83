"""Jobs writes, one module per workflow: seekers, employers and jobs, the jobs CSV and roads GeoJSON imports,
travel times, matching, the pipeline (its machine in `pipeline_states`) and the employer clocks (`reminders`)."""
