resource "google_compute_network" "vpc" {
  name = "main"
}

# Priority 100 deny beats the priority 1000 allow below for RDP.
resource "google_compute_firewall" "deny_rdp" {
  name     = "deny-rdp"
  network  = google_compute_network.vpc.name
  priority = 100

  deny {
    protocol = "tcp"
    ports    = ["3389"]
  }

  source_ranges = ["0.0.0.0/0"]
}

resource "google_compute_firewall" "admin" {
  name    = "admin"
  network = google_compute_network.vpc.name

  allow {
    protocol = "tcp"
    ports    = ["22", "3389"]
  }

  source_ranges = ["0.0.0.0/0"]
}

resource "google_compute_firewall" "internal" {
  name    = "internal"
  network = google_compute_network.vpc.name

  allow {
    protocol = "all"
  }

  source_ranges = ["10.128.0.0/9"]
}

resource "google_compute_firewall" "legacy_ftp" {
  name     = "legacy-ftp"
  network  = google_compute_network.vpc.name
  disabled = true

  allow {
    protocol = "tcp"
    ports    = ["20-21"]
  }

  source_ranges = ["0.0.0.0/0"]
}
