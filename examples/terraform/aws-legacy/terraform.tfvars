# Someone "fixed" access from home by opening SSH to everyone.
admin_cidrs = ["0.0.0.0/0"]
