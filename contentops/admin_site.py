from django.contrib import admin


class ContentopsAdminSite(admin.AdminSite):
    site_header = "contentops"
    site_title = "contentops"
    index_title = "Back office"
