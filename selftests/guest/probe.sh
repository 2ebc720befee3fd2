#!/bin/sh
grep -wE 'do_anonymous_page|handle_pte_fault|__handle_mm_fault|handle_mm_fault|do_wp_page|wp_page_copy|vm_normal_page|do_pte_missing|kallsyms_lookup_name|mm_kobj|kernfs_find_and_get_ns' /proc/kallsyms
uname -a
